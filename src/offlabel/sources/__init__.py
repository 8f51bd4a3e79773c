"""offlabel.sources"""
