/** this program's version: `dialogue --version`, and what every process reports in its heartbeat */
export const VERSION = "0.1.0";
