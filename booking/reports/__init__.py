"""The district's report, its watch list and the big screen."""
