/** Every role a peer can hold in a room (DESIGN.md, "Roles"). */
export const ROLES = ['host', 'cohost', 'guest', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Actions the server checks on every request. */
export type Permission =
  /** Create a send transport and produce on the stage. */
  | 'publish'
  /** Approve raised hands: invite a viewer on stage, move a guest back to the audience. */
  | 'manageStage'
  /** Delete and pin messages, mute and ban people, slow mode. */
  | 'moderate'
  /** Start and stop the HLS broadcast. */
  | 'broadcast'
  /** Raise a hand to ask to join the stage. */
  | 'raiseHand'
  /** Send chat messages. */
  | 'chat'
  /** See the list of viewers. */
  | 'seeAudience'
  /** Ban, unban and move co-hosts to the audience (nobody can do that to a host). */
  | 'manageCohosts'
  /** Rotate role links. */
  | 'manageLinks'
  /** Open and close polls, see who voted for what. */
  | 'managePolls'
  /** Vote in polls. */
  | 'vote'
  /** Send reactions (emoji). */
  | 'react';

const PERMISSIONS: Record<Role, readonly Permission[]> = {
  host: [
    'publish',
    'manageStage',
    'moderate',
    'broadcast',
    'chat',
    'seeAudience',
    'manageCohosts',
    'manageLinks',
    'managePolls',
    'vote',
    'react',
  ],
  cohost: ['publish', 'manageStage', 'moderate', 'chat', 'seeAudience', 'managePolls', 'vote', 'react'],
  guest: ['publish', 'chat', 'vote', 'react'],
  viewer: ['raiseHand', 'chat', 'vote', 'react'],
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].includes(permission);
}

/** Roles that meet on the WebRTC stage; viewers watch HLS instead. */
export function isStageRole(role: Role): boolean {
  return can(role, 'publish');
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
