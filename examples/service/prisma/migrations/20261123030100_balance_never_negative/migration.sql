-- A balance never goes below zero, whatever the application does: the database refuses it.
ALTER TABLE "Account" ADD CONSTRAINT "Account_balance_nonnegative" CHECK ("balance" >= 0);
