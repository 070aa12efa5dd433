"""Who is calling: device tokens, enrollment codes and the authenticated principal."""
