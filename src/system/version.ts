/** The API version, from package.json so there is one number to bump. */
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
export const API_VERSION = "v1";
