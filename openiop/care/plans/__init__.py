"""The clinical record from intake to discharge: assessment, diagnoses,
treatment plan (versions, signatures, reviews), relapse prevention plan,
discharge summary and aftercare plan."""
