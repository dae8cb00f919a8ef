/**
 * Light or dark: the system's `prefers-color-scheme` until the toolbar's
 * toggle picks one (remembered in localStorage).
 */
import { defineStore } from 'pinia';
import { computed, ref, watchEffect } from 'vue';
import { applyTheme, type ThemeName } from '../theme';

const KEY = 'siamese-studio.theme';

export const useTheme = defineStore('theme', () => {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const systemDark = ref(query.matches);
  query.addEventListener('change', (e) => { systemDark.value = e.matches; });
  const stored = localStorage.getItem(KEY);
  const chosen = ref<ThemeName | undefined>(stored === 'light' || stored === 'dark' ? stored : undefined);
  const name = computed<ThemeName>(() => chosen.value ?? (systemDark.value ? 'dark' : 'light'));
  watchEffect(() => applyTheme(name.value));
  return {
    name,
    /** Whether the theme follows the system (no choice made yet). */
    followsSystem: computed(() => chosen.value === undefined),
    toggle() {
      chosen.value = name.value === 'dark' ? 'light' : 'dark';
      localStorage.setItem(KEY, chosen.value);
    },
  };
});
