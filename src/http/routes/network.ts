/** API.md routes: network. */
import type { RouteContext, TypedApp } from '../app.js';

export async function networkRoutes(_app: TypedApp, _ctx: RouteContext) {}
