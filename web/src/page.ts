import type { SessionUser } from './api.js';

export interface PageContext {
  user: SessionUser;
  /** Moves to another page, e.g. '#/jobs/12'. */
  navigate(hash: string): void;
}

export interface PageView {
  title: string;
  el: HTMLElement;
  /** Stops polling and releases what the page holds. */
  dispose?(): void;
}

export type PageFactory = (ctx: PageContext, params: string[]) => PageView;
