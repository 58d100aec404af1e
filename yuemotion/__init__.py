"""YueMotion: the Cantonese adults-and-elderly speech emotion dataset."""
