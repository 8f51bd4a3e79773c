"""offlabel.classify"""
