// @ts-check
// The demo's configuration (demo/: the site config the demo pages load too,
// sample named accounts, the contact and white-paper forms), for the worker
// of this repository only, and only when NURTURE_DEMO says so (worker/dev.mjs,
// the tests, the benches). The package's worker (worker/build.mjs --package)
// is built with this module replaced by `export const DEMO = null`: what a
// team deploys holds no demo template at all.
import site from "../../demo/site-config.json";
import forms from "../../demo/forms.json";
import accounts from "../../demo/accounts.csv";

/** @type {{site: string, forms: string, accounts: string} | null} */
export const DEMO = { site: JSON.stringify(site), forms: JSON.stringify(forms), accounts };
