// Example: publishDrafts on postgres (file 1 of 2; both use the same ids in parallel, each in its own database).
import { draftsTests } from '../support/drafts-tests.js';
import { usePostgres } from '../support/isolated.js';

draftsTests(usePostgres());
