import { mount } from 'svelte';
import App from './App.svelte';
import '@stagecast/stage-ui/styles/shared.css';
import './styles/base.css';
import './styles/prejoin.css';
import './styles/studio.css';
import './styles/panels.css';
import './styles/people.css';
import './styles/broadcast.css';
import './styles/layout.css';
import '@stagecast/stage-ui/styles/polls.css';
import '@stagecast/stage-ui/styles/reactions.css';
import './styles/polls.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target });
