"""A Pusher whose new version appears in the serving directory all at once, or not at all."""
