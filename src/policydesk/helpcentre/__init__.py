"""The help centre: articles in Japanese and English that customers read before (or instead of)
asking, written by staff in the console."""
