return (y - p) ** 2
