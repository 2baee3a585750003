import {
  can,
  StagecastError,
  type ChatMessage,
  type ChatState,
  type PeerIdentity,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import type { PresenceEntry } from '../rooms/PresenceStore.js';
import { ChatStore } from './ChatStore.js';
import { chatLength, MAX_CHAT_LENGTH, sanitizeChatText } from './sanitizeChatText.js';

/** Longest mute: a week. A mute of 0 seconds lifts a mute. */
export const MAX_MUTE_SECONDS = 7 * 24 * 3600;
/** Longest slow mode interval. */
export const MAX_SLOW_MODE_SECONDS = 3600;

/**
 * Chat of every room: sending (cleaning, idempotency, mute, slow mode, rate limit) and
 * moderation. Everything lives in Redis and every notification goes through the Socket.IO
 * Redis adapter, so all ingest processes see the same chat.
 */
export class ChatService {
  readonly store: ChatStore;

  constructor(private readonly ctx: Pick<IngestContext, 'io' | 'redis' | 'presence' | 'logger' | 'limits'>) {
    this.store = new ChatStore(ctx.redis, ctx.logger);
  }

  state(roomId: string): Promise<ChatState> {
    return this.store.state(roomId);
  }

  /** `ip` is the sender's address: one address shares a limit per room, whatever the identities. */
  async send(
    roomId: string,
    sender: PeerIdentity,
    ip: string,
    clientId: string,
    rawText: string,
  ): Promise<ChatMessage> {
    requirePermission(sender, 'chat', 'You cannot chat in this room');
    const text = sanitizeChatText(rawText);
    if (text.length === 0) throw new StagecastError('BAD_REQUEST', 'The message is empty');
    if (chatLength(text) > MAX_CHAT_LENGTH) {
      throw new StagecastError('BAD_REQUEST', `Messages are limited to ${MAX_CHAT_LENGTH} characters`);
    }
    // A retry of a stored message succeeds whatever the limits say now: it adds nothing.
    const earlier = await this.store.byClientId(roomId, sender.peerId, clientId);
    if (earlier) return earlier;

    const mutedMs = await this.store.mutedForMs(roomId, sender.peerId);
    if (mutedMs > 0) throw new StagecastError('CHAT_MUTED', 'A moderator muted you for a while', mutedMs);
    const slowSeconds = can(sender.role, 'moderate') ? 0 : await this.store.slowModeSeconds(roomId);
    if (slowSeconds > 0) {
      const waitMs = await this.store.claimSlowSlot(roomId, sender.peerId, slowSeconds);
      if (waitMs > 0)
        throw new StagecastError('SLOW_MODE', `Slow mode: one message every ${slowSeconds} s`, waitMs);
    }
    const personKey = `${roomId}:${sender.peerId}`;
    try {
      await this.ctx.limits.consume('chat', personKey);
      // Moderators are exempt from the address limit: they must be heard during a flood.
      if (!can(sender.role, 'moderate')) {
        try {
          await this.ctx.limits.consume('chatIp', `${roomId}:${ip}`);
        } catch (error) {
          // The message was not sent: it must not count against the person either.
          await this.ctx.limits.refund('chat', personKey);
          throw error;
        }
      }
    } catch (error) {
      if (slowSeconds > 0) await this.store.releaseSlowSlot(roomId, sender.peerId);
      throw error;
    }

    const { message, created } = await this.store.append(roomId, { clientId, text, sender });
    if (created) this.ctx.io.to(channels.room(roomId)).emit('chat:message', message);
    return message;
  }

  async delete(roomId: string, by: PeerIdentity, messageId: string): Promise<void> {
    requirePermission(by, 'moderate', 'Only hosts and co-hosts can delete messages');
    const { deleted, unpinned } = await this.store.delete(roomId, messageId);
    if (!deleted) throw new StagecastError('NOT_FOUND', 'No such message (already deleted or too old)');
    const everyone = this.ctx.io.to(channels.room(roomId));
    const at = Date.now();
    everyone.emit('chat:deleted', { messageId, at });
    if (unpinned) everyone.emit('chat:pinned', { message: null, at });
  }

  async pin(roomId: string, by: PeerIdentity, messageId: string | null): Promise<void> {
    requirePermission(by, 'moderate', 'Only hosts and co-hosts can pin messages');
    const message = messageId === null ? null : await this.store.get(roomId, messageId);
    if (messageId !== null && !message)
      throw new StagecastError('NOT_FOUND', 'No such message (deleted or too old)');
    await this.store.setPinned(roomId, message);
    this.ctx.io.to(channels.room(roomId)).emit('chat:pinned', { message, at: Date.now() });
  }

  async mute(roomId: string, by: PeerIdentity, peerId: string, seconds: number): Promise<{ until: number }> {
    requirePermission(by, 'moderate', 'Only hosts and co-hosts can mute people');
    await this.moderationTarget(roomId, by, peerId);
    const until = seconds > 0 ? Date.now() + seconds * 1000 : 0;
    await this.store.mute(roomId, peerId, until);
    this.ctx.io.to(channels.peer(roomId, peerId)).emit('chat:muted', { until });
    return { until };
  }

  async setSlowMode(roomId: string, by: PeerIdentity, seconds: number): Promise<void> {
    requirePermission(by, 'moderate', 'Only hosts and co-hosts can change slow mode');
    await this.store.setSlowMode(roomId, seconds);
    this.ctx.io.to(channels.room(roomId)).emit('chat:slowMode', { seconds });
  }

  /** A connected person whom `by` may mute: not oneself, not a moderator. */
  private async moderationTarget(roomId: string, by: PeerIdentity, peerId: string): Promise<PresenceEntry> {
    if (peerId === by.peerId) throw new StagecastError('BAD_REQUEST', 'You cannot do that to yourself');
    const target = await this.ctx.presence.get(roomId, peerId);
    if (!target) throw new StagecastError('NOT_FOUND', 'That person is not in this room');
    if (can(target.role, 'moderate'))
      throw new StagecastError('FORBIDDEN', 'Hosts and co-hosts cannot be muted');
    return target;
  }
}

function requirePermission(who: PeerIdentity, permission: 'chat' | 'moderate', message: string): void {
  if (!can(who.role, permission)) throw new StagecastError('FORBIDDEN', message);
}
