# ring
