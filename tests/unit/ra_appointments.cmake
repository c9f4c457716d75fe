# Heads' appointment documents and the head's authority for a request (ra/appointments.c, ra/legal.c).
pechat_unit_test(test_ra_appointments pechat_ra_fixture)
