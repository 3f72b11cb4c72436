"""To-do providers of monitoring cases (filled in below)."""
