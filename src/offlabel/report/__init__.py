"""offlabel.report"""
