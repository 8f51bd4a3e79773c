"""offlabel.appraise"""
