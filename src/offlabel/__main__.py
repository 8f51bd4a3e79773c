from offlabel.cli import main

# guarded: worker processes started by spawn (Dask, `offlabel scan`) import this module again
if __name__ == "__main__":
    main()
