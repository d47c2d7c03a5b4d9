"""The matching service: FastAPI app factory, thin routers, settings."""
