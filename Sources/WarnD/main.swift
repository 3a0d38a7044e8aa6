import Rules
print("warnd")
