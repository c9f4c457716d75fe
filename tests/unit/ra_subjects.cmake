# The subject registry (ra/subjects.c, ra/subject_fields.c, ra/documents.c, db/subjects.c, db/documents.c).
pechat_unit_test(test_ra_subjects pechat_ra)
