import { StagecastClientError } from '@stagecast/sdk';

/** A sentence for people from anything a request or a device may throw. */
export function describeError(error: unknown): string {
  if (error instanceof StagecastClientError) return error.message;
  if (error instanceof DOMException) {
    switch (error.name) {
      case 'NotAllowedError':
        return 'Permission to use the camera or microphone was refused. Allow it in the browser and try again.';
      case 'NotFoundError':
        return 'No camera or microphone was found.';
      case 'NotReadableError':
        return 'The camera or microphone is in use by another application.';
      default:
        return error.message;
    }
  }
  return error instanceof Error ? error.message : 'Something went wrong';
}

/** The code of a refused request, if it is one. */
export function errorCode(error: unknown): string | null {
  return error instanceof StagecastClientError ? error.code : null;
}
