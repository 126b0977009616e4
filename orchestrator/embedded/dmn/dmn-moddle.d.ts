// dmn-moddle 12 ships no types; the decision side needs only this.
declare module 'dmn-moddle' {
  export class DmnModdle {
    constructor(packages?: Record<string, object>);
    fromXML(xml: string): Promise<{ rootElement: unknown; warnings: { message: string }[] }>;
  }
}
