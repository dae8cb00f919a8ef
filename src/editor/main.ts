import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { reportUncaughtErrors } from './failures';
import './style.css';

const app = createApp(App).use(createPinia());
reportUncaughtErrors(app);
app.mount('#app');
