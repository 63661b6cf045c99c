/** The agent console's static files (DESIGN §13): served by the daemon under `/console`. */
export { CONSOLE_CSP, defaultConsoleDir, mountConsole } from './static-files.js'
