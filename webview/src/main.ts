import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './main.css';
import { startAnalysis } from './analysis/analysisMain';
import { startCompareView } from './compare/compareMain';
import { startDashboard } from './dashboard/dashboardMain';
import { byId } from './dom';

// One bundle serves every view; the page names its view (webviewHtml.ts).
const app = byId('app');
if (app.dataset.view === 'dashboard') startDashboard(app);
else if (app.dataset.view === 'compare') startCompareView(app);
else startAnalysis(app);
