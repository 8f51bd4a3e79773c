"""offlabel.synthesis"""
