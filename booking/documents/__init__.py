"""Documents the system writes and reads: the official layout (Word, PDF), spreadsheets and CSV, imports."""
