// Example: publishDrafts on pglite (file 2 of 2; both use the same ids in parallel, each in its own database).
import { draftsTests } from '../support/drafts-tests.js';
import { usePglite } from '../support/isolated.js';

draftsTests(usePglite());
