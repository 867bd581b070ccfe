/** API.md routes: messaging. */
import type { RouteContext, TypedApp } from '../app.js';

export async function messagingRoutes(_app: TypedApp, _ctx: RouteContext) {}
