"""Activity photos: how they are checked and shrunk, and where they are kept."""
