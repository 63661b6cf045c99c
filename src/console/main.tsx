/** The agent console's entry: renders the app into `#app` (see DESIGN §13, docs/console.md). */
import { render } from 'preact'
import { App } from './app.js'

const root = document.getElementById('app')
if (root) render(<App />, root)
