"""offlabel.web"""
