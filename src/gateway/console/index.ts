/** The agent console's static files (DESIGN §13): served by the daemon under `/console`. */
export { defaultConsoleDir, mountConsole } from './static-files.js'
