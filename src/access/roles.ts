export type Role = 'user' | 'admin';
export const ROLES_KEY = 'smspanel:roles';
