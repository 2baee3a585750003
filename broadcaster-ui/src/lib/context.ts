import { createContext } from 'svelte';
import type { HostSession } from './HostSession.svelte.js';

/** The session of this page, for every component under the studio (per page, not a module singleton). */
export const [getSession, setSession] = createContext<HostSession>();
