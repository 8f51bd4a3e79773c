"""offlabel.scan"""
