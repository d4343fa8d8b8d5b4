// Loads the wasm interface (built by scripts/build-ui.sh). An external module: the CSP allows
// no inline script.
import init from "./atendebem-ui.js";
init();
