/** What a request knows about its caller once a bearer token was accepted. */
export interface AuthenticatedUser {
  id: number;
  username: string;
  isAdmin: boolean;
  isActive: boolean;
  createdAt: Date;
  via: 'api_token' | 'session';
}
