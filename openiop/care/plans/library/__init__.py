"""Built-in plan templates, one JSON file each (see care.plans.library_loader)."""
