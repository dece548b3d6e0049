"""Built-in labs and the startup configurations of their devices."""
