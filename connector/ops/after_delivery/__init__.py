"""After delivery, for admins and the scheduler: sending surveys, the care queue, the NPS figures."""
