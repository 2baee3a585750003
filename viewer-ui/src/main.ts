import { mount } from 'svelte';
import App from './App.svelte';
import '@stagecast/stage-ui/styles/shared.css';
import './styles/base.css';
import './styles/player.css';
import './styles/audience.css';
import './styles/stage.css';
import '@stagecast/stage-ui/styles/polls.css';
import '@stagecast/stage-ui/styles/reactions.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target });
