"""振兴 Zhenxing — the working platform of a district rural-revitalisation bureau."""
