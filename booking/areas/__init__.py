"""Areas (属地): the tree of streets and communities, who may read which part of it."""
