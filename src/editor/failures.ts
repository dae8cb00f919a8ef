/**
 * Errors nobody caught, said on the page: a part of the app that could not
 * be loaded (a lazy chunk after a rebuild, a dropped connection), an error
 * in a component or a promise. Without this the page goes blank or an action
 * silently does nothing. They are still reported (console, page errors) as
 * before; the graph is autosaved, so a reload loses nothing.
 */
import type { App } from 'vue';
import { useToasts } from './stores/toasts';

const CHUNK_FAILED = /dynamically imported module|Importing a module script failed|error loading dynamically imported module|Unable to preload/i;

/** The toast for one uncaught error. */
export function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return CHUNK_FAILED.test(text)
    ? `A part of the app could not be loaded (${text}). Reload the page: your graph is autosaved.`
    : `Something went wrong: ${text}. Your graph is autosaved; reload the page if the editor misbehaves.`;
}

export function reportUncaughtErrors(app: App): void {
  const toasts = useToasts();
  // Vue stops logging once a handler is set: the error is rethrown outside Vue so the console (and the tests' page errors) still see it.
  app.config.errorHandler = (error) => {
    toasts.show(failureMessage(error), 'error');
    setTimeout(() => { throw error; });
  };
  window.addEventListener('unhandledrejection', (event) => toasts.show(failureMessage(event.reason), 'error'));
}
