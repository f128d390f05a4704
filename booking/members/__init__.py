"""The branch's organisational life: members, rosters, who attended, study hours, the filed record."""
